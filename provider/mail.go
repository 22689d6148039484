package provider

import (
	"github.com/idp/idp/mail"
	"github.com/idp/idp/members"
)

// setUpMail builds the mailed links' service and, with a mail server
// (Config.SMTPURL), the queue that delivers them. Without one the service
// is there but disabled, so pages can say mail is off.
func (p *Provider) setUpMail() error {
	tmpl, err := mail.LoadTemplates()
	if err != nil {
		return err
	}
	p.mail = &members.Mail{
		Store: p.store, Members: members.Service{Store: p.store, EndSessions: p.endMemberSessions},
		Templates: tmpl, Issuer: p.cfg.Issuer, Now: p.cfg.Now, Audit: p.audit,
	}
	if p.cfg.SMTPURL == "" {
		return nil
	}
	sender, err := mail.NewSender(mail.Config{URL: p.cfg.SMTPURL, From: p.cfg.MailFrom, TLS: p.cfg.MailTLS})
	if err != nil {
		return err
	}
	p.mailQueue = mail.NewQueue(sender.Send, p.log, func(j mail.Job, err error) {
		if rerr := p.mail.Delivered(j, err); rerr != nil {
			p.log.Error("record mail delivery", "kind", string(j.Kind), "member_id", j.MemberID, "err", rerr)
		}
	})
	p.mail.Queue = p.mailQueue
	p.log.Info("mail on", "server", sender.Server())
	return nil
}

// Mail returns the mailed links' service (invitations, verification), for
// the handlers mounted beside the provider (console) to call.
func (p *Provider) Mail() *members.Mail { return p.mail }
