"""Settings of gunicorn, the bench's alternative server (it reads ./gunicorn.conf.py itself).

The access log names the method and the path, never the query string: a search's ``q`` or
a validation's address text is what a resident typed, and a log is no place for it. Nor the
referrer (a scan page's URL with its query) or the user agent.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
