"""One router per resource; :func:`ringfence.api.app.create_app` mounts them all."""
