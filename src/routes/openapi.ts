/** `GET /openapi.json`: the API's OpenAPI 3.1 document, no API key (it describes, it holds nothing). */
import { Router } from 'express';
import { openApiDocument } from '../openapi/document';

export function openApiRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  return router;
}
