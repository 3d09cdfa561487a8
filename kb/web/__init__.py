"""The web app (gradio on FastAPI), split by job:

access   login, sessions, roles, Host check, failed-login rate limit
uploads  staging of uploaded files, the bounded parse worker, the app's scratch folders and their cleanup
views    what each tab does, calling the library (no web framework)
render   HTML of answers, hits, findings, notices
app      gradio layout and wiring; every event passes the role check of access
server   `kb serve`: start-up checks, FastAPI + gradio + uvicorn, shutdown cleanup
"""
