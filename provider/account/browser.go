package account

import "strings"

// Browser names the browser and system of a User-Agent in a short form a
// person recognises ("Firefox on Linux", "Safari on iPhone"), for the
// list of sessions. The string is the client's own claim, so it is only
// ever shown, never trusted; one it does not recognise is shown as
// "Unknown browser".
func Browser(ua string) string {
	name := ""
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			name = b.name
			break
		}
	}
	system := ""
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case name == "" && system == "":
		return "Unknown browser"
	case name == "":
		return "Unknown browser on " + system
	case system == "":
		return name
	}
	return name + " on " + system
}

// browsers and systems in the order they must be tried: Edge and Opera
// also say Chrome, Chrome also says Safari, Android also says Linux, an
// iPhone also says Mac OS X.
var (
	browsers = []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"HeadlessChrome/", "Chrome (headless)"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client/", "Go program"},
	}
	systems = []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"CrOS", "ChromeOS"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	}
)
