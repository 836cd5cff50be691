# Constraints on the data itself. They deny whatever the subject's roles would allow.
#
#   unknown-classification          open/rewrap of data whose classification this policy does not know
#   purpose-missing                 open of personal or special-category data that states no purpose
#   purpose-not-permitted           open with a purpose the data does not state (purpose binding)
#   retention-expired               open/rewrap after issuedAt + retention (the stated retention,
#                                   capped by the classification's max_retention in data.json)
#   issued-in-future                open of data dated after now + max_clock_skew (a wrong or forged clock)
#   producer-trust-too-low          open of data whose producer's trust level (data.json producers;
#                                   unknown producers are "low") is below the classification's minimum
#   rewrap-authority-trust-too-low  the same for the authority that re-wrapped the envelope
#   producer-zone-mismatch          open of data whose zone is not one its producer is registered in
package ward.authz

# The policy's data (policies/data.json, at data.ward.config); empty when none was loaded, which
# leaves every producer unknown (low trust) and no contract in force.
config := c if {
	c := data.ward.config
	is_object(c)
} else := {}

classifications := {"public", "internal", "personal", "special-category"}

# Data about people: purpose binding is mandatory for it.
personal_classifications := {"personal", "special-category"}

known_classification if classification in classifications

global_denial contains "unknown-classification" if {
	action in {"open", "rewrap"}
	not known_classification
}

# Purpose binding ------------------------------------------------------------------------------

states_purposes if count(stated_purposes) > 0

global_denial contains "purpose-missing" if {
	action == "open"
	classification in personal_classifications
	not states_purposes
}

global_denial contains "purpose-not-permitted" if {
	action == "open"
	states_purposes
	not got(subject, "purpose") in stated_purposes
}

# Retention and data age -----------------------------------------------------------------------

stated_retention := got(attributes, "retention")

max_retention := got(got(config, "max_retention"), classification)

# The retention that applies: the producer's stated retention, capped by the classification's
# maximum from data.json; either alone when only one is known; none when neither is.
retention := min({stated_retention, max_retention}) if {
	is_number(stated_retention)
	is_number(max_retention)
} else := stated_retention if {
	is_number(stated_retention)
} else := max_retention if {
	is_number(max_retention)
}

issued_at := got(resource, "issuedAt")

global_denial contains "retention-expired" if {
	action in {"open", "rewrap"}
	now > issued_at + retention
}

# Seconds since the producer issued the data.
data_age := now - issued_at

clock_skew := got(config, "max_clock_skew") if {
	is_number(got(config, "max_clock_skew"))
} else := 300

global_denial contains "issued-in-future" if {
	action == "open"
	data_age < 0 - clock_skew
}

# Producer trust -------------------------------------------------------------------------------

trust_rank := {"low": 0, "medium": 1, "high": 2}

# A registered producer (data.json producers), or null.
producer(issuer) := got(got(config, "producers"), issuer)

# A producer's trust rank; unknown producers (and unknown levels) are "low".
producer_trust(issuer) := trust_rank[got(producer(issuer), "trust")] if {
	_ = trust_rank[got(producer(issuer), "trust")]
} else := trust_rank.low

# The minimum rank for this classification; "high" when data.json names none.
required_trust := trust_rank[got(got(config, "min_producer_trust"), classification)] if {
	_ = trust_rank[got(got(config, "min_producer_trust"), classification)]
} else := trust_rank.high

global_denial contains "producer-trust-too-low" if {
	action == "open"
	producer_trust(got(resource, "issuer")) < required_trust
}

# A re-wrapped envelope is only as trustworthy as the authority that vouches for the producer's
# signature.
global_denial contains "rewrap-authority-trust-too-low" if {
	action == "open"
	is_object(got(resource, "rewrap"))
	producer_trust(resource.rewrap.issuer) < required_trust
}

# Zone-bound decisions rely on the zone the producer stated: a producer registered in some
# zones may not speak for another one (nor state none).
global_denial contains "producer-zone-mismatch" if {
	action == "open"
	registered := got(producer(got(resource, "issuer")), "zones")
	is_array(registered)
	not zone in registered
}

# Obligations of the data itself: every release of special-category data is logged.
global_obligation contains {"type": "log"} if {
	action == "open"
	classification == "special-category"
}
