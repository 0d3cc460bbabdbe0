"""A small REST API behind HTTP API routes (payload format 2.0).

GET  /notes/{id}  anyone may read a note
POST /notes       needs a JWT (Authorization: Bearer ...); the note's author
                  is the token's "sub" claim, which the JWT authorizer put in
                  requestContext.authorizer.jwt.claims
Notes live in memory of the instance only: this example is about the
routes; keep real state in a table (see examples/signup-welcome).
"""
import json

NOTES = {"1": {"id": "1", "text": "hello", "author": "updraft"}}


def handler(event, context):
    route = event["routeKey"]
    if route == "GET /notes/{id}":
        note = NOTES.get(event["pathParameters"]["id"])
        if note is None:
            return {"statusCode": 404, "body": json.dumps({"message": "no such note"})}
        return note  # a bare JSON result: 200 application/json
    if route == "POST /notes":
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        body = json.loads(event.get("body") or "{}")
        note = {"id": str(len(NOTES) + 1), "text": body["text"], "author": claims["sub"]}
        NOTES[note["id"]] = note
        return {
            "statusCode": 201,
            "headers": {"location": "/notes/" + note["id"]},
            "body": json.dumps(note),
        }
    return {"statusCode": 404, "body": json.dumps({"message": "no route"})}
