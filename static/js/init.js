// Starts GOV.UK Frontend's components (error summary focus, password reveal, menus).
import { initAll } from '/static/dist/govuk/govuk-frontend.min.js';

initAll();
