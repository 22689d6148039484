package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	texttemplate "text/template"

	"github.com/idp/idp/templates"
)

// Kind names a mail the provider sends; each has a subject and the
// templates mail/<kind>.txt and mail/<kind>.html.
type Kind string

// The mails.
const (
	KindReset  Kind = "reset"
	KindVerify Kind = "verify"
	KindInvite Kind = "invite"
)

// subjects are fixed: nothing a member typed reaches the subject.
var subjects = map[Kind]string{
	KindReset:  "Reset your password",
	KindVerify: "Confirm your email address",
	KindInvite: "You are invited: choose your password",
}

// Data is what a mail's templates show. Link is the one place the mail
// points to; it is built from the issuer, never from a request.
type Data struct {
	Name, Email, Site, Link, Lifetime string
}

// Templates are the parsed mail templates.
type Templates struct {
	text map[Kind]*texttemplate.Template
	html map[Kind]*htmltemplate.Template
}

// LoadTemplates parses every mail template, so a broken one stops
// start-up rather than a password reset.
func LoadTemplates() (*Templates, error) {
	t := &Templates{text: map[Kind]*texttemplate.Template{}, html: map[Kind]*htmltemplate.Template{}}
	for k := range subjects {
		txt, err := texttemplate.ParseFS(templates.FS, "mail/"+string(k)+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.txt: %w", k, err)
		}
		htm, err := htmltemplate.ParseFS(templates.FS, "mail/"+string(k)+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", k, err)
		}
		t.text[k], t.html[k] = txt, htm
	}
	return t, nil
}

// Compose renders the mail of kind to the member named name at address
// to. Control characters of the name are dropped from the body too, so a
// name cannot lay out lines of its own in the plain text.
func (t *Templates) Compose(kind Kind, name, to string, d Data) (Message, error) {
	txt, ok := t.text[kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown kind %q", kind)
	}
	d.Name, d.Email = stripControl(name), to
	var tb, hb bytes.Buffer
	if err := txt.Execute(&tb, d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", kind, err)
	}
	if err := t.html[kind].Execute(&hb, d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", kind, err)
	}
	return Message{To: mail.Address{Name: name, Address: to}, Subject: subjects[kind], Text: tb.String(), HTML: hb.String()}, nil
}
