"""The review console: server-rendered pages for coordinators under /console/.

Plain HTML forms that work without JavaScript, one small script of our own for the keyboard, no
inline script or style (the CSP forbids both). The pages call the same services as the API, with
the same roles, the same 404 for what the caller may not see, and the same audit trail.
"""
