// Marks the page as script-capable so GOV.UK Frontend styles its enhanced components.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
