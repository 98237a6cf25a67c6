# The browser's time zone in the page tests: far from the site's (Europe/Amsterdam), so that a
# time a script wrote in the browser's zone instead of the site's would show.
BROWSER_TIME_ZONE = "Asia/Tokyo"
