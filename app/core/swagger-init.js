// Starts Swagger UI on /docs: a file of its own, so that the page needs no inline script.
// Loaded with `defer` after the bundle, so the page is parsed and SwaggerUIBundle is defined.
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
