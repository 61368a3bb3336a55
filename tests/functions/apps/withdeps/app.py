"""Needs a package the project's environment lacks: tinydep, from this folder's requirements.txt."""

import tinydep


def handler(event, context):
    return {"answer": tinydep.ANSWER, "where": tinydep.__file__}
