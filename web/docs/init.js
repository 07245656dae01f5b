// The API reference at /docs: Swagger UI (vendored from the npm package swagger-ui-dist,
// served by this worker's static assets) over /openapi.json, with "Try it out" on and an
// "Authorize" box for a Bearer access token or an X-API-Key. Nothing loads from elsewhere.
window.ui = SwaggerUIBundle({
  url: document.getElementById("ui").dataset.openapi,
  dom_id: "#ui",
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  validatorUrl: null,
});
