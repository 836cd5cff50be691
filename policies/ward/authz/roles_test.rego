package ward.authz_test

# analyst ---------------------------------------------------------------------------------------

test_analyst_opens_internal if {
	open(analyst, footfall) == allowed("allowed:analyst-internal", [])
}

test_analyst_opens_public if {
	open(analyst, air) == allowed("allowed:public", [])
}

test_analyst_opens_recent_personal_with_identifying_fields_redacted if {
	open(analyst, issued(parking, now - (2 * day))) == allowed("allowed:analyst-personal", [{
		"type": "redact",
		"fields": [
			"address", "badge_id", "device_mac", "email", "face_image",
			"licence_plate", "location.precise", "name", "person_id", "phone",
		],
	}])
}

test_analyst_personal_at_the_age_limit_is_allowed if {
	open(analyst, issued(parking, now - (30 * day))).allow
}

test_analyst_personal_older_than_30_days_is_denied if {
	open(analyst, issued(parking, (now - (30 * day)) - 1)) == denied(["data-too-old"])
}

test_age_limit_is_per_classification if {
	# No limit on internal data for analysts.
	open(analyst, issued(footfall, now - (400 * day))) == allowed("allowed:analyst-internal", [])
}

test_analyst_personal_without_redaction_fields_is_denied if {
	decision := open(analyst, parking) with data.ward.config.identifying_fields as []
	decision == denied(["redaction-not-configured"])
}

test_analyst_special_category_is_denied if {
	open(purpose(analyst, "public-safety"), cctv) == denied(["classification-not-permitted"])
}

test_analyst_verifies_anything if {
	decide("verify", analyst, cctv, env) == allowed("allowed:verify", [])
}

test_analyst_may_not_rewrap if {
	decide("rewrap", analyst, footfall, env) == denied(["rewrap-not-permitted"])
}

# operator --------------------------------------------------------------------------------------

test_operator_opens_internal if {
	open(operator, footfall) == allowed("allowed:operator-internal", [])
}

test_operator_opens_personal_logged if {
	open(operator, parking) == allowed("allowed:operator-personal", [{"type": "log"}])
}

test_operator_personal_has_no_age_limit if {
	open(operator, issued(parking, now - (200 * day))).allow
}

test_operator_special_category_is_denied if {
	open(purpose(operator, "public-safety"), cctv) == denied(["classification-not-permitted"])
}

test_operator_rewraps_for_key_rotation_logged if {
	decide("rewrap", purpose(operator, "key-rotation"), cctv, env) == allowed("allowed:operator-key-rotation", [{"type": "log"}])
}

test_operator_rewrap_needs_key_rotation_purpose if {
	decide("rewrap", operator, footfall, env) == denied(["purpose-not-key-rotation"])
}

test_rewrap_ignores_purpose_binding_and_producer_trust if {
	# Re-wrapping releases no plaintext to the operator's use: the data's purposes and the
	# producer's trust level are not what it is about.
	unknown := object.union(footfall, {"issuer": "unregistered-sensor"})
	decide("rewrap", purpose(operator, "key-rotation"), unknown, env).allow
}

test_rewrap_of_expired_data_is_denied if {
	expired := issued(with_attributes(footfall, {"retention": day}), now - (2 * day))
	decide("rewrap", purpose(operator, "key-rotation"), expired, env) == denied(["retention-expired"])
}

test_rewrap_of_unknown_classification_is_denied if {
	odd := with_attributes(footfall, {"classification": "secret"})
	decide("rewrap", purpose(operator, "key-rotation"), odd, env) == denied(["unknown-classification"])
}

# auditor ---------------------------------------------------------------------------------------

test_auditor_verifies_special_category if {
	decide("verify", auditor, cctv, env) == allowed("allowed:verify", [])
}

test_auditor_verifies_unknown_classification if {
	decide("verify", auditor, with_attributes(footfall, {"classification": "secret"}), env) == allowed("allowed:verify", [])
}

test_verify_ignores_retention_purpose_and_trust if {
	old := issued(with_attributes(cctv, {"retention": day}), now - (90 * day))
	unknown := object.union(old, {"issuer": "unregistered-camera"})
	decide("verify", purpose(auditor, "curiosity"), unknown, env) == allowed("allowed:verify", [])
}

test_auditor_opens_internal_logged if {
	open(auditor, footfall) == allowed("allowed:auditor-internal", [{"type": "log"}])
}

test_auditor_opens_personal_logged if {
	open(auditor, with_attributes(parking, {"purpose": ["audit"]})) == allowed("allowed:auditor-personal", [{"type": "log"}])
}

test_auditor_opens_special_category_logged if {
	open(auditor, cctv) == allowed("allowed:auditor-special-category", [{"type": "log"}])
}

test_auditor_is_bound_by_purpose if {
	open(auditor, parking) == denied(["purpose-not-permitted"])
}

test_auditor_may_not_rewrap if {
	decide("rewrap", purpose(auditor, "key-rotation"), footfall, env) == denied(["rewrap-not-permitted"])
}

# public ----------------------------------------------------------------------------------------

test_public_opens_public if {
	open(citizen, air) == allowed("allowed:public", [])
}

test_public_internal_is_denied if {
	open(purpose(citizen, "planning"), footfall) == denied(["classification-not-permitted"])
}

test_public_verifies_public if {
	decide("verify", citizen, air, env) == allowed("allowed:verify", [])
}

test_public_verify_of_internal_is_denied if {
	decide("verify", citizen, footfall, env) == denied(["classification-not-permitted"])
}

# Several roles, unknown roles -----------------------------------------------------------------

test_unknown_roles_are_ignored if {
	open(with_roles(analyst, ["mayor", "analyst"]), footfall) == allowed("allowed:analyst-internal", [])
}

test_no_known_role_is_denied if {
	open(with_roles(analyst, ["mayor"]), air) == denied(["no-known-role"])
}

test_no_roles_is_denied if {
	open(with_roles(analyst, []), air) == denied(["no-known-role"])
}

test_one_granting_role_is_enough if {
	open(with_roles(analyst, ["public", "analyst"]), footfall) == allowed("allowed:analyst-internal", [])
}

test_obligations_of_every_granting_role_apply if {
	open(with_roles(analyst, ["analyst", "operator"]), parking) == {
		"allow": true,
		"reasons": ["allowed:analyst-personal", "allowed:operator-personal"],
		"obligations": [
			# Sorted as Rego sorts objects: by their keys first ("fields" < "type").
			{"type": "redact", "fields": [
				"address", "badge_id", "device_mac", "email", "face_image",
				"licence_plate", "location.precise", "name", "person_id", "phone",
			]},
			{"type": "log"},
		],
	}
}

test_every_presented_role_explains_its_denial if {
	subject := with_roles(ravi, ["public", "maintenance-contractor"])
	open(subject, with_attributes(parking, {"purpose": ["maintenance"]})) == denied(["classification-not-permitted"])
	open(object.union(subject, {"zones": []}), footfall) == denied(["classification-not-permitted", "outside-zone"])
}
