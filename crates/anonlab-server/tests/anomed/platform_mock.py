"""A minimal stand-in for the (closed-source) AnoMed platform server.

The reference challenge POSTs (demo) evaluation results to
http://{ANOMED_HOST}/submissions/anonymizer-evaluation-results and
.../deanonymizer-evaluation-results after every utility evaluation. This app
accepts both, appends each JSON body as one line to the file named by
ANOMED_PUSH_LOG (if set) and answers 201 with the body mirrored, like the
anomed_templates mock. GET / answers 200 {"message": ...}.
Run it as `gunicorn platform_mock:application` (one sync worker: appends do not
interleave).
"""

import json
import os

import falcon

PUSH_LOG = os.getenv("ANOMED_PUSH_LOG")


class Alive:
    def on_get(self, _req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"message": "AnoMed platform mock is alive!"}


class PushSink:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.get_media()  # 400 if the body is not JSON
        if PUSH_LOG:
            with open(PUSH_LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(body, sort_keys=True) + "\n")
        resp.status = falcon.HTTP_CREATED
        resp.media = body


application = falcon.App()
application.add_route("/", Alive())
application.add_route("/submissions/anonymizer-evaluation-results", PushSink())
application.add_route("/submissions/deanonymizer-evaluation-results", PushSink())
