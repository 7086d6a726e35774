"""The e-mail channel: the support mailbox answered by the bot.

`parse` reads an inbound e-mail (sender, thread, text without quoting or attachments),
`compose` writes the threaded reply, `relay` sends it over SMTP, `channel` runs each e-mail
as a turn of its conversation, `server` is the inbound SMTP listener (aiosmtpd).
"""
