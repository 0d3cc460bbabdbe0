// Package mail owns inbound email with SES receiving semantics: the mail
// routes, the SMTP intake, the stored raw messages and their delivery to
// functions as SES receipt events.
//
// A route sends the mail for an address ("help@example.com") or a whole
// domain ("@example.com", not its subdomains) to a function[:qualifier]
// of a tenant. Routes live in the JetStream KV bucket MAIL_ROUTES keyed by
// recipient, so an address or domain is routed by one tenant at most
// (another tenant's add is a 409 ResourceConflictException). A recipient
// matches its own address's route first, else its domain's, without regard
// to case. Routes come from the API/CLI or from updraft.yaml (type: mail,
// applied by Trigger; those are marked "yaml:FUNCTION" so a redeploy
// replaces only its own).
//
// The SMTP server (github.com/emersion/go-smtp) refuses an unknown
// recipient at RCPT TO (550 5.1.1), a message over the size limit at MAIL
// FROM's SIZE or at DATA (552 5.3.4), more than 50 recipients (452 4.5.3),
// lines over 2000 characters (500) and a header section it cannot read
// (554 5.6.0); it offers STARTTLS when given a certificate.
//
// Durable before acknowledged: Deliver stores the raw message (with its
// Return-Path and Received trace headers) in the JetStream object store
// MAIL_MESSAGES as "TENANT/MESSAGE_ID", then stores one asynchronous
// invocation per (message, function) on the queue spine (fsync'ed,
// de-duplicated by a request id derived from both), and only then does
// the session answer 250. So a crash after the 250 loses nothing (the
// queued invocations run after the restart) and a crash before it leaves
// the client to send again. The event is SES's Lambda-action record
// (internal/event.SESEvent); its receipt.action carries the stored
// message's location in bucketName and objectKey (the message id), and
// Service.Message reads it back for GET /v1/mail/messages/{id}. When
// S3-compatible object storage lands the messages move to a bucket there.
package mail
