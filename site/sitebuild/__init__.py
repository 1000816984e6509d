"""The course site's builder: see site/build.py."""
