"""HTTP routes: parse the request, call a service, map the result. Nothing more."""
