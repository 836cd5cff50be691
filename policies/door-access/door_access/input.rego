# The input, read defensively, and its validation.
#
# The input is Ward's policy input (policies/README.md, "The contract"), the same as the city
# policy's, plus the caller's own context: { action, subject, resource, environment, context? }.
# The door-access record's signed attributes name the building and the tenant whose doors
# produced the events; a police officer's warrant id comes through input.context.warrant.
#
# Every other file reads the input through the names defined here. They are always defined,
# null where the input has nothing, so a negated check sees a value (a negation over a missing
# field is itself undefined, and a deny rule written that way would never fire).
package door_access

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

# The caller's own context (optional); for this policy, the warrant a police officer acts under.
context := got(input_doc, "context")

attributes := got(resource, "attributes")

# The building whose doors produced the events (null when the record states none).
building := got(attributes, "building")

# The tenant whose doors they are (null when the record states none).
tenant := got(attributes, "tenant")

issued_at := got(resource, "issuedAt")

subject_id := got(subject, "id")

subject_roles := strings_or_empty(got(subject, "roles"))

# Seconds since the epoch, by the caller's clock.
now := got(environment, "time")

warrant_id := got(context, "warrant")

# Validation -----------------------------------------------------------------------------------

actions := {"open", "verify", "rewrap"}

invalid_input contains "invalid-input:action" if not action in actions

invalid_input contains "invalid-input:subject" if not is_object(subject)

invalid_input contains "invalid-input:resource" if not is_object(resource)

invalid_input contains "invalid-input:environment" if not is_object(environment)

invalid_input contains "invalid-input:subject.id" if {
	is_object(subject)
	not non_empty_string(subject_id)
}

invalid_input contains "invalid-input:subject.roles" if {
	is_object(subject)
	not string_list(got(subject, "roles"))
}

invalid_input contains "invalid-input:resource.issuer" if {
	is_object(resource)
	not non_empty_string(got(resource, "issuer"))
}

invalid_input contains "invalid-input:resource.issuedAt" if {
	is_object(resource)
	not seconds(issued_at)
}

invalid_input contains "invalid-input:resource.attributes" if {
	is_object(resource)
	not is_object(attributes)
}

invalid_input contains "invalid-input:resource.attributes.building" if {
	present(attributes, "building")
	not non_empty_string(building)
}

invalid_input contains "invalid-input:resource.attributes.tenant" if {
	present(attributes, "tenant")
	not non_empty_string(tenant)
}

invalid_input contains "invalid-input:environment.time" if {
	is_object(environment)
	not seconds(now)
}

invalid_input contains "invalid-input:context" if {
	present(input_doc, "context")
	not is_object(context)
}

invalid_input contains "invalid-input:context.warrant" if {
	present(context, "warrant")
	not non_empty_string(warrant_id)
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

# Seconds since the epoch: a non-negative number.
seconds(x) if {
	is_number(x)
	x >= 0
}

# The key is in the object, whatever its value (null and false included).
present(doc, key) if {
	is_object(doc)
	_ = doc[key]
}
