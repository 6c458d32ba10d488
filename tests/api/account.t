# Accounts, tokens and the refusals every /v1 endpoint shares.

=== the current user
GET /v1/me
status 200
json {"id": "premium-us", "type": "user", "product": "premium", "country": "US", "uri": "segue:user:premium-us"}
has display_name href followers.total explicit_content.filter_enabled images

=== a free account says so
GET /v1/me
as free-us
status 200
json {"product": "free"}

=== no token is 401
GET /v1/me
as nobody
status 401
json {"error": {"status": 401}}
header-has www-authenticate

=== a made-up token is 401
GET /v1/me
token sgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
status 401
error-contains invalid

=== a malformed Authorization header is 401
GET /v1/me
as nobody
header Authorization: Basic Zm9vOmJhcg==
status 401
error-contains Bearer

=== the token endpoint wants a form
POST /api/token
as nobody
body {"grant_type": "password"}
status 400
json {"error": "invalid_request"}

=== an unknown grant type
POST /api/token
as nobody
form grant_type=client_credentials
status 400
json {"error": "unsupported_grant_type"}

=== a wrong password is invalid_grant
POST /api/token
as nobody
form grant_type=password&username=premium-us&password=wrong-password
status 400
json {"error": "invalid_grant"}
header-is cache-control: no-store

=== an unknown user is invalid_grant too
POST /api/token
as nobody
form grant_type=password&username=nobody-here&password=whatever123
status 400
json {"error": "invalid_grant"}

=== a missing password
POST /api/token
as nobody
form grant_type=password&username=premium-us
status 400
json {"error": "invalid_request"}

=== a password grant issues both tokens
POST /api/token
as nobody
form grant_type=password&username=premium-us&password=password123
status 200
json {"token_type": "Bearer", "expires_in": 3600}
has access_token refresh_token scope
header-is cache-control: no-store

=== a bogus refresh token
POST /api/token
as nobody
form grant_type=refresh_token&refresh_token=nope
status 400
json {"error": "invalid_grant"}

=== revoking an unknown token is still 200 (RFC 7009)
POST /api/revoke
as nobody
form token=whatever
status 200

=== register needs JSON
POST /api/register
as nobody
body {"username": 5}
status 400

=== register with a short password
POST /api/register
as nobody
body {"username": "shorty", "password": "short", "country": "US"}
status 400
error-contains at least 8

=== register with a bad name
POST /api/register
as nobody
body {"username": "../etc", "password": "password123", "country": "US"}
status 400
error-contains user name

=== register with a bad country
POST /api/register
as nobody
body {"username": "countryless", "password": "password123", "country": "usa"}
status 400
error-contains country

=== a taken name is 409
POST /api/register
as nobody
body {"username": "Premium-US", "password": "password123", "country": "US"}
status 409
error-contains taken

=== register a new free account
POST /api/register
as nobody
body {"username": "newcomer", "password": "password123", "country": "SE"}
status 201
json {"id": "newcomer", "product": "free", "country": "SE"}
