import type { oas31 } from 'zod-openapi';

const SCHEMA_REF = '#/components/schemas/';
/** zod-openapi's default `outputIdSuffix`. */
const OUTPUT_SUFFIX = 'Output';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Node = unknown;

/** A copy of `node` with every `$ref` to a schema component replaced by the component, recursively. */
function inlineRefs(node: Node, schemas: Record<string, Node>, within: string[] = []): Node {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, schemas, within));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as { $ref?: unknown } & Record<string, Node>;
  const siblings = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, inlineRefs(value, schemas, within)]),
  );
  if (typeof $ref !== 'string' || !$ref.startsWith(SCHEMA_REF)) return $ref === undefined ? siblings : node;
  const name = $ref.slice(SCHEMA_REF.length);
  if (within.includes(name)) throw new Error(`schema ${name} refers to itself: it cannot be inlined`);
  if (!(name in schemas)) throw new Error(`${$ref} names no schema component`);
  const target = inlineRefs(schemas[name], schemas, [...within, name]) as Record<string, Node>;
  return { ...target, ...siblings };
}

/** The names of schema components that `node` refers to, directly. */
function refsIn(node: Node, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) refsIn(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF))
        out.add(value.slice(SCHEMA_REF.length));
      else refsIn(value, out);
    }
  }
  return out;
}

/**
 * Writes every request body and parameter of `paths` (and `components.requestBodies`) out in full,
 * then drops the schema components nothing refers to any more. zod-openapi names the response twin
 * of a schema that requests use too `<id>Output`; with the request twin gone it takes the plain id.
 *
 * Why: TypeScript generators (openapi-typescript 7 by default) type a property that has a `default`
 * as always present, except inside a request body or a parameter. A request schema reached through
 * `#/components/schemas/…` would make every defaulted field required, so the smallest body the API
 * accepts would not type-check in generated clients. Responses keep their named components.
 * docs/decisions/openapi.md has the details.
 */
export function inlineRequestSchemas(document: oas31.OpenAPIObject): oas31.OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Node>;
  const inline = <T>(value: T): T => inlineRefs(value, schemas) as T;
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).map(([path, item]) => {
      const operations = Object.fromEntries(
        METHODS.flatMap((method) => {
          const operation = item[method];
          if (!operation) return [];
          return [
            [
              method,
              {
                ...operation,
                ...(operation.parameters ? { parameters: inline(operation.parameters) } : {}),
                ...(operation.requestBody ? { requestBody: inline(operation.requestBody) } : {}),
              },
            ],
          ];
        }),
      );
      return [
        path,
        { ...item, ...(item.parameters ? { parameters: inline(item.parameters) } : {}), ...operations },
      ];
    }),
  );
  const components = { ...document.components };
  if (components.requestBodies) components.requestBodies = inline(components.requestBodies);
  const withoutSchemas = { ...document, paths, components: { ...components, schemas: {} } };

  // Keep the components reachable from the rest of the document, directly or through each other.
  const kept = refsIn(withoutSchemas);
  for (const name of kept) for (const ref of refsIn(schemas[name])) kept.add(ref);
  const renames = new Map(
    [...kept].flatMap((name) => {
      const plain = name.endsWith(OUTPUT_SUFFIX) ? name.slice(0, -OUTPUT_SUFFIX.length) : '';
      return plain && !kept.has(plain) ? [[name, plain] as const] : [];
    }),
  );
  components.schemas = Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => kept.has(name))
      .map(([name, schema]) => [renames.get(name) ?? name, schema]),
  ) as typeof components.schemas;
  let text = JSON.stringify({ ...document, paths, components });
  for (const [from, to] of renames) text = text.replaceAll(`"${SCHEMA_REF}${from}"`, `"${SCHEMA_REF}${to}"`);
  return JSON.parse(text) as oas31.OpenAPIObject;
}

type Discriminated = {
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  oneOf?: Node[];
  anyOf?: Node[];
};

/**
 * Keeps a union's `discriminator` only where it can work, and says which value selects which schema.
 * zod-openapi adds `discriminator: {propertyName}` to a union of named schemas; without a `mapping`,
 * generators take the schema's name for the value (openapi-typescript typed `target.type` as
 * `"HttpTarget"`), so each named member's constant becomes an explicit mapping entry. Where a member
 * is written out or may leave the property out (a request's `http` target, whose `type` defaults),
 * no discriminator can select it: it is dropped and the union stays a plain `oneOf`.
 */
export function mapDiscriminators(document: oas31.OpenAPIObject): oas31.OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Node>;
  const visit = (node: Node): Node => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const { discriminator, ...rest } = node as Discriminated & Record<string, Node>;
    const copy = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, visit(value)]));
    if (!discriminator) return copy;
    const members = (rest.oneOf ?? rest.anyOf ?? []) as { $ref?: string }[];
    const mapping: Record<string, string> = {};
    for (const member of members) {
      const target = member.$ref?.startsWith(SCHEMA_REF)
        ? (schemas[member.$ref.slice(SCHEMA_REF.length)] as
            | { properties?: Record<string, { const?: unknown }>; required?: string[] }
            | undefined)
        : undefined;
      const value = target?.properties?.[discriminator.propertyName]?.const;
      if (typeof value !== 'string' || !target?.required?.includes(discriminator.propertyName)) return copy;
      mapping[value] = member.$ref!;
    }
    return { ...copy, discriminator: { ...discriminator, mapping } };
  };
  return visit(document) as oas31.OpenAPIObject;
}
