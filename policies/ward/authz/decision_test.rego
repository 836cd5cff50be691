package ward.authz_test

import data.ward.authz

# The decision's shape, for any input: what the SDK's PolicyEngine accepts (anything else it
# treats as a deny). At most 64 reasons of at most 256 characters; obligations it knows.
well_formed(decision) if {
	object.keys(decision) == {"allow", "reasons", "obligations"}
	is_boolean(decision.allow)
	is_array(decision.reasons)
	count(decision.reasons) > 0
	count(decision.reasons) <= 64
	every reason in decision.reasons {
		is_string(reason)
		count(reason) > 0
		count(reason) <= 256
	}
	is_array(decision.obligations)
	every obligation in decision.obligations {
		known_obligation(obligation)
	}
}

known_obligation(obligation) if obligation == {"type": "log"}

known_obligation(obligation) if {
	object.keys(obligation) == {"type", "to"}
	obligation.type == "notify"
	is_string(obligation.to)
	obligation.to != ""
}

known_obligation(obligation) if {
	object.keys(obligation) == {"type", "fields"}
	obligation.type == "redact"
	count(obligation.fields) > 0
}

every_case := [
	open(analyst, footfall),
	open(analyst, parking),
	open(analyst, cctv),
	open(operator, parking),
	open(auditor, cctv),
	open(citizen, air),
	open(responder, cctv),
	decide("open", responder, cctv, emergency),
	open(ravi, footfall),
	open(ravi, lamp_fault),
	decide("verify", citizen, cctv, env),
	decide("rewrap", purpose(operator, "key-rotation"), cctv, env),
	decision_for(null),
	decision_for({"action": "open", "subject": {}, "resource": {}, "environment": {}}),
]

test_every_decision_is_well_formed if {
	every decision in every_case {
		well_formed(decision)
	}
}

test_the_largest_garbage_input_stays_within_the_reason_limit if {
	empty := {"action": 0, "subject": {}, "resource": {"attributes": {}, "rewrap": 1}, "environment": {"emergency": 1}}
	decision := authz.decision with input as empty
	well_formed(decision)
	decision.allow == false
}

test_a_denial_carries_no_obligations if {
	decision := open(analyst, cctv)
	decision.allow == false
	decision.obligations == []
}

test_global_denials_and_role_denials_are_reported_together if {
	unknown := object.union(footfall, {"issuer": "unregistered-sensor"})
	open(purpose(citizen, "planning"), unknown) == denied(["classification-not-permitted", "producer-trust-too-low"])
}

test_role_denials_are_not_reported_when_a_role_granted if {
	# The public role alone could not open internal data; the analyst role can, so only the
	# global denial explains the outcome.
	subject := with_roles(purpose(analyst, "marketing"), ["public", "analyst"])
	open(subject, footfall) == denied(["purpose-not-permitted"])
}

test_without_data_nothing_opens if {
	# No data.json loaded: every producer is unknown (low trust) and no classification states a
	# minimum, so each needs a high-trust producer. Verification still works.
	open(analyst, footfall) == denied(["producer-trust-too-low"]) with data.ward.config as null
	open(citizen, air) == denied(["producer-trust-too-low"]) with data.ward.config as null
	open(ravi, footfall) == denied(["no-contract", "producer-trust-too-low"]) with data.ward.config as null
	decide("verify", auditor, cctv, env) == allowed("allowed:verify", []) with data.ward.config as null
}
