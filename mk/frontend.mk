# The front end (packviz's widget manager for the static book): _widget_assets/ carries
# packviz/js/embed.js with embed.css put in (scripts/build_widget_assets.py), so it is
# rebuilt when either changes.
_widget_assets/.built: packviz/js/embed.js packviz/js/embed.css
