// Submits the form_post response (OAuth 2.0 Form Post Response Mode) to
// the client. Served from the provider's origin so that the Content
// Security Policy needs no inline script.
document.getElementById("form-post").submit();
