# The input, read defensively, and its validation.
#
# The SDK sends exactly the contract in policies/input.schema.json; anything else is denied with
# "invalid-input:<field>" reasons, and no other rule is consulted.
#
# Every other file reads the input through the names defined here (action, subject, resource,
# attributes, classification, zone, now, ...). They are always defined, null where the input
# has nothing, so a negated check such as `not zone in subject_zones` sees a value: in Rego a
# negation over a missing input field is itself undefined, and a deny rule written that way
# would silently never fire.
package ward.authz

# Accessors ------------------------------------------------------------------------------------

input_doc := input if {
	_ = input
} else := null

# doc[key], or null when doc is not an object or has no such key.
got(doc, key) := object.get(doc, key, null) if {
	is_object(doc)
} else := null

# A list of strings, or the empty list when the value is anything else.
strings_or_empty(x) := x if {
	string_list(x)
} else := []

action := got(input_doc, "action")

subject := got(input_doc, "subject")

resource := got(input_doc, "resource")

environment := got(input_doc, "environment")

attributes := got(resource, "attributes")

classification := got(attributes, "classification")

# The zone the data concerns (null when it states none).
zone := got(attributes, "zone")

stated_purposes := strings_or_empty(got(attributes, "purpose"))

subject_zones := strings_or_empty(got(subject, "zones"))

# Seconds since the epoch, by the caller's clock.
now := got(environment, "time")

# Validation -----------------------------------------------------------------------------------

actions := {"open", "verify", "rewrap"}

encryptions := {"encrypt0", "encrypt"}

invalid_input contains "invalid-input:action" if not action in actions

invalid_input contains "invalid-input:subject" if not is_object(subject)

invalid_input contains "invalid-input:resource" if not is_object(resource)

invalid_input contains "invalid-input:environment" if not is_object(environment)

# subject: { id, roles, purpose, zones?, organisation? }

invalid_input contains "invalid-input:subject.id" if {
	is_object(subject)
	not non_empty_string(got(subject, "id"))
}

invalid_input contains "invalid-input:subject.roles" if {
	is_object(subject)
	not string_list(got(subject, "roles"))
}

invalid_input contains "invalid-input:subject.purpose" if {
	is_object(subject)
	not is_string(got(subject, "purpose"))
}

invalid_input contains "invalid-input:subject.zones" if {
	present(subject, "zones")
	not string_list(subject.zones)
}

invalid_input contains "invalid-input:subject.organisation" if {
	present(subject, "organisation")
	not is_string(subject.organisation)
}

# resource: the verified facts of the envelope

invalid_input contains "invalid-input:resource.issuer" if {
	is_object(resource)
	not non_empty_string(got(resource, "issuer"))
}

invalid_input contains "invalid-input:resource.stream" if {
	is_object(resource)
	not is_string(got(resource, "stream"))
}

invalid_input contains "invalid-input:resource.issuedAt" if {
	is_object(resource)
	not seconds(got(resource, "issuedAt"))
}

invalid_input contains "invalid-input:resource.sequence" if {
	is_object(resource)
	not is_string(got(resource, "sequence"))
}

invalid_input contains "invalid-input:resource.id" if {
	is_object(resource)
	not is_string(got(resource, "id"))
}

invalid_input contains "invalid-input:resource.attributes" if {
	is_object(resource)
	not is_object(attributes)
}

invalid_input contains "invalid-input:resource.attributes.classification" if {
	is_object(attributes)
	not is_string(classification)
}

invalid_input contains "invalid-input:resource.attributes.zone" if {
	present(attributes, "zone")
	not is_string(zone)
}

invalid_input contains "invalid-input:resource.attributes.purpose" if {
	present(attributes, "purpose")
	not string_list(attributes.purpose)
}

invalid_input contains "invalid-input:resource.attributes.owner" if {
	present(attributes, "owner")
	not is_string(attributes.owner)
}

invalid_input contains "invalid-input:resource.attributes.retention" if {
	present(attributes, "retention")
	not seconds(attributes.retention)
}

invalid_input contains "invalid-input:resource.signer" if {
	is_object(resource)
	not valid_signer(got(resource, "signer"))
}

invalid_input contains "invalid-input:resource.encryption" if {
	is_object(resource)
	not got(resource, "encryption") in encryptions
}

invalid_input contains "invalid-input:resource.rewrap" if {
	present(resource, "rewrap")
	not valid_rewrap(resource.rewrap)
}

# environment: { time, emergency? }

invalid_input contains "invalid-input:environment.time" if {
	is_object(environment)
	not seconds(now)
}

invalid_input contains "invalid-input:environment.emergency" if {
	present(environment, "emergency")
	not valid_emergency(environment.emergency)
}

# Helpers --------------------------------------------------------------------------------------

non_empty_string(x) if {
	is_string(x)
	x != ""
}

string_list(x) if {
	is_array(x)
	every item in x {
		is_string(item)
	}
}

# Seconds since the epoch, or a duration: a non-negative number.
seconds(x) if {
	is_number(x)
	x >= 0
}

# The key is in the object, whatever its value (null and false included).
present(doc, key) if {
	is_object(doc)
	_ = doc[key]
}

valid_signer(signer) if {
	is_string(got(signer, "kid"))
	is_number(got(signer, "alg"))
}

valid_rewrap(rewrap) if {
	non_empty_string(got(rewrap, "issuer"))
	seconds(got(rewrap, "rewrappedAt"))
}

valid_emergency(emergency) if {
	is_boolean(got(emergency, "declared"))
	not present(emergency, "incident")
}

valid_emergency(emergency) if {
	is_boolean(got(emergency, "declared"))
	is_string(emergency.incident)
}
