"""Suite-wide setup.

template.yaml takes the notifications webhook's API key from Secrets Manager and its URL from
Parameter Store (dynamic references). Locally those resolve from ``CHOREO_RESOLVE_...`` variables
(docs/api-destinations.md); every test that loads the project's template gets stand-in values
here unless the environment already has real ones. Tests that deliver to the webhook point the
URL at their own stand-in server.
"""

from __future__ import annotations

import os

TEMPLATE_REFERENCES = {
    "CHOREO_RESOLVE_SECRETSMANAGER_CHOREO_NOTIFICATIONS_APIKEY": "test-api-key",
    "CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL": "http://127.0.0.1:9/notifications",
}
for _name, _value in TEMPLATE_REFERENCES.items():
    os.environ.setdefault(_name, _value)
