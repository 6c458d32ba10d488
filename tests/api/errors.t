# Requests the server must refuse cleanly.

=== an unknown route is 404
GET /v1/nothing-here
status 404
json {"error": {"status": 404}}

=== the wrong method is 405 with Allow
DELETE /v1/tracks/{track0}
status 405
header-is allow: GET, HEAD

=== a POST to a GET route is 405
POST /v1/me
body {}
status 405

=== malformed JSON is 400 with a message
POST /api/register
as nobody
body {"username": "x",
status 400
error-contains malformed JSON

=== a JSON body that is not an object
POST /api/register
as nobody
body [1, 2, 3]
status 400
error-contains object

=== duplicate keys in JSON are refused
POST /api/register
as nobody
body {"username": "a", "username": "b", "password": "password123"}
status 400

=== health
GET /healthz
as nobody
status 200
json {"status": "ok"}
has tracks

=== metrics in Prometheus text
GET /metrics
as nobody
status 200
header-is content-type: text/plain; version=0.0.4
