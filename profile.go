package idp

// Profile is a member's optional OpenID Connect standard claims (OpenID
// Connect Core §5.1) beyond name and email. Empty fields are absent from
// tokens and userinfo. Package members validates them; the store keeps
// them as one JSON document, since nothing queries them one by one.
type Profile struct {
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	Nickname   string `json:"nickname,omitempty"`
	// Picture and Website are https URLs.
	Picture string `json:"picture,omitempty"`
	Website string `json:"website,omitempty"`
	Gender  string `json:"gender,omitempty"`
	// Birthdate is YYYY-MM-DD, or YYYY, or 0000-MM-DD (§5.1).
	Birthdate string `json:"birthdate,omitempty"`
	// Zoneinfo is an IANA time zone name; Locale a BCP 47 language tag.
	Zoneinfo string `json:"zoneinfo,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// PhoneNumber is E.164 ("+" and digits).
	PhoneNumber         string   `json:"phone_number,omitempty"`
	PhoneNumberVerified bool     `json:"phone_number_verified,omitempty"`
	Address             *Address `json:"address,omitempty"`
}

// Address is the structured address claim (OpenID Connect Core §5.1.1).
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
}
