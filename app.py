"""政策知识库 web app: `python app.py [--host --port]` is `kb serve`; the app itself is kb.web."""
from kb.web.server import main

if __name__ == "__main__":
    main()
