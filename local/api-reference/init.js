// Renders the API reference from the document this server generates from its zod schemas.
// Redoc comes from its npm package, served by this server: the page loads nothing from elsewhere.
/* global Redoc */
Redoc.init(
  '/v1/openapi.json',
  {
    expandResponses: '200,201,202',
    jsonSampleExpandLevel: 3,
    hideHostname: false,
    sortTagsAlphabetically: false,
  },
  document.getElementById('redoc'),
  (error) => {
    document.body.dataset.loaded = error ? 'error' : 'true';
  },
);
