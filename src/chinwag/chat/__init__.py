"""`chinwag chat`: a command-line chat client built on `chinwag.client`."""
