"""The team's Flask app, fixed: one classifier per category as module globals, picked by
`/classify?category=B`, now on quiver instead of KerasUtil + TensorFlow.

Before (TensorFlow 1): answers depended on which models had run before and in what order,
the process segfaulted under threads, and the workaround reloaded the model on every call.
After: the only change to the team's code is the import line; each answer is what that
category's model gives alone, whatever else is loaded or running, from any number of
threads and worker processes.

Run it (docs/python.md):
    QUIVER_APP_DIR=/srv/classifiers QUIVER_APP_CATEGORIES=A,B,C \\
        gunicorn --workers 3 --threads 8 --bind 127.0.0.1:8000 flask_app:app
QUIVER_APP_DIR holds <category>.csv (text,label) and <category>.h5; a missing model is trained
from its CSV on first start (under a file lock: several workers starting at once train it
once). QUIVER_APP_MODELTYPE picks the network when training (default bilstm).

    GET  /classify?category=B&sentence=...      -> {"label": ..., "scores": {...}, ...}
    POST /classify?category=B  {"sentence": "..."} or {"sentences": [...]}
"""
import os

from flask import Flask, jsonify, request

from quiver import Classifier as KerasUtil  # was: from kerasutil import KerasUtil

APP_DIR = os.environ.get("QUIVER_APP_DIR", os.path.dirname(os.path.abspath(__file__)))
CATEGORIES = [c for c in os.environ.get("QUIVER_APP_CATEGORIES", "A,B").split(",") if c]
MODELTYPE = os.environ.get("QUIVER_APP_MODELTYPE", "bilstm")

# The team's globals (kerasutil_A = KerasUtil(rawtextpath='A.csv', lstmmodelpath='A.h5',
# modeltype='bilstm'), ...), one per category, loaded once per worker process.
for _category in CATEGORIES:
    globals()["kerasutil_" + _category] = KerasUtil(
        rawtextpath=os.path.join(APP_DIR, _category + ".csv"),
        lstmmodelpath=os.path.join(APP_DIR, _category + ".h5"),
        modeltype=MODELTYPE)

app = Flask(__name__)


def error(status, message):
    response = jsonify({"error": message})
    response.status_code = status
    return response


@app.route("/classify", methods=["GET", "POST"])
def classify():
    categoryid = request.args.get("category", "")
    kerasutil = globals().get("kerasutil_" + categoryid) if categoryid in CATEGORIES else None
    if kerasutil is None:
        return error(404, "unknown category '%s' (known: %s)" % (categoryid, ", ".join(CATEGORIES)))
    body = request.get_json(silent=True) if request.method == "POST" else None
    if body is not None and isinstance(body.get("sentences"), list):
        return jsonify(kerasutil.predict_categories(body["sentences"]))
    sentence = body.get("sentence") if body is not None else request.args.get("sentence")
    if not isinstance(sentence, str):
        return error(400, "give a sentence: ?sentence=... or {\"sentence\": \"...\"}")
    resultlist = kerasutil.predictcategory(sentence)
    return jsonify(resultlist)


@app.errorhandler(ValueError)  # quiver.InvalidArgumentError is a ValueError: bad input
def bad_input(e):
    return error(400, str(e))
