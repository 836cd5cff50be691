# Shared fixtures of the door-access tests: subjects, records and helpers.
package door_access_test

import data.door_access

now := 1795323102

record(issuer, building, tenant) := {
	"issuer": issuer,
	"stream": "doors/events",
	"issuedAt": now - 600,
	"sequence": "20417",
	"id": "9a3c5e7f1b2d4f6a8c0e2a4c6e8f0a1b",
	"attributes": {"classification": "personal", "building": building, "tenant": tenant},
	"signer": {"kid": "4d2c9e8f7a6b5c4d", "alg": -7},
	"encryption": "encrypt",
}

civic := record("door-controller-4", "civic-centre", "tenant:acme-legal")

harbour := record("door-controller-9", "harbour-offices", "tenant:harbour-cafe")

subject(id, roles) := {"id": id, "roles": roles, "purpose": "records"}

acme := subject("tenant:acme-legal", ["tenant"])

cafe := subject("tenant:harbour-cafe", ["tenant"])

olu := subject("manager:civic:olu", ["building-manager"])

mei := subject("manager:estates:mei", ["building-manager"])

kim := subject("police:officer:kim", ["police"])

ines := subject("auditor:ines", ["auditor"])

warrant(id) := {"warrant": id}

decide(action, who, what) := decision if {
	decision := door_access.decision with input as {
		"action": action,
		"subject": who,
		"resource": what,
		"environment": {"time": now},
	}
}

decide_with(action, who, what, context) := decision if {
	decision := door_access.decision with input as {
		"action": action,
		"subject": who,
		"resource": what,
		"environment": {"time": now},
		"context": context,
	}
}

open(who, what) := decide("open", who, what)

allowed(reason, obligations) := {"allow": true, "reasons": [reason], "obligations": obligations}

denied(reasons) := {"allow": false, "reasons": reasons, "obligations": []}

without_attribute(what, key) := object.union(object.remove(what, ["attributes"]), {"attributes": object.remove(what.attributes, [key])})

issued(what, at) := object.union(what, {"issuedAt": at})
