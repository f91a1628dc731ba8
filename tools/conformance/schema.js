'use strict';
// Just enough JSON Schema to hold the simulator's objects against the item
// schemas homey-api ships (assets/specifications/HomeyAPIV3Local.json): type,
// enum, anyOf, pattern, required, properties, additionalProperties, items.
// A value of the wrong shape is an error; a property the schema does not know is
// an "extra", reported apart: the published schemas describe what Athom's client
// knows, not every field a Homey sends.

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function fits(type, v) {
  const got = typeOf(v);
  return type === got || (type === 'number' && got === 'integer');
}

function brief(schema) {
  if (schema.type) return [].concat(schema.type).join('|');
  if (schema.anyOf) return schema.anyOf.map(brief).join('|');
  return 'any';
}

function validate(schema, value, path, out) {
  if (!schema || typeof schema !== 'object') return;
  if (schema.anyOf) {
    const ok = schema.anyOf.some((s) => {
      const o = { errors: [], extras: [] };
      validate(s, value, path, o);
      return o.errors.length === 0;
    });
    if (!ok) out.errors.push(`${path}: ${typeOf(value)} is not ${brief(schema)}`);
    return;
  }
  if (schema.type && ![].concat(schema.type).some((t) => fits(t, value))) {
    out.errors.push(`${path}: ${typeOf(value)} is not ${brief(schema)}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) {
    out.errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (typeOf(value) === 'object') validateObject(schema, value, path, out);
  if (typeOf(value) === 'array' && schema.items) {
    value.forEach((item, i) => validate(schema.items, item, `${path}[${i}]`, out));
  }
}

function validateObject(schema, value, path, out) {
  for (const key of schema.required || []) {
    if (!(key in value)) out.errors.push(`${path}.${key}: missing`);
  }
  for (const [key, v] of Object.entries(value)) {
    const known = schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key);
    if (known) validate(schema.properties[key], v, `${path}.${key}`, out);
    else if (schema.additionalProperties === false) out.extras.push(`${path}.${key}`);
    else if (typeof schema.additionalProperties === 'object') {
      validate(schema.additionalProperties, v, `${path}.${key}`, out);
    }
  }
}

// Every object of a {id: object} list against one item schema; errors and extras
// are collected with `name` as the path root (extras once per field, not per item).
function validateList(schema, list, name) {
  const out = { errors: [], extras: [] };
  for (const item of Object.values(list)) validate(schema, item, name, out);
  return { errors: [...new Set(out.errors)], extras: [...new Set(out.extras)] };
}

module.exports = { validate, validateList };
