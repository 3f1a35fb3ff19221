// Validate Backstage app-configs (a JSON array of {name, config} in the file named by argv[2])
// against Backstage's config schema: the schemas the app's plugins declare (`configSchema` in
// each package and its @backstage dependencies), collected and applied by
// @backstage/config-loader exactly as `backstage-cli config:check` does. `$file` includes are
// read by Backstage at start-up from the mounted Secret: they stand in as strings here.
// Prints one line per problem and exits 1 if any config is invalid.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfigSchema } from "@backstage/config-loader";

// The packages whose config the portal's app-config sets: the app, the backend, the auth
// backend and its OIDC provider, the catalog, Kubernetes, proxy (Argo CD) and TechDocs.
export const PLUGINS = [
  "@backstage/core-app-api", "@backstage/backend-defaults", "@backstage/plugin-auth-backend",
  "@backstage/plugin-auth-backend-module-oidc-provider", "@backstage/plugin-catalog-backend",
  "@backstage/plugin-kubernetes-backend", "@backstage/plugin-proxy-backend",
  "@backstage/plugin-techdocs-backend",
];

function withoutIncludes(value) {
  if (Array.isArray(value)) return value.map(withoutIncludes);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$file") return `<contents of ${value.$file}>`;
    return Object.fromEntries(keys.map((key) => [key, withoutIncludes(value[key])]));
  }
  return value;
}

const configs = JSON.parse(readFileSync(process.argv[2], "utf8"));
// The loader resolves the plugins from the working directory: this folder's node_modules.
process.chdir(fileURLToPath(new URL(".", import.meta.url)));
const schema = await loadConfigSchema({ dependencies: PLUGINS });
const packages = new Set(schema.serialize().schemas.map((s) => s.packageName));
const missing = PLUGINS.filter((name) => !packages.has(name));
if (missing.length) {
  console.log(`no config schema from ${missing.join(", ")}: npm ci --prefix tests/validators`);
  process.exit(1);
}
let invalid = 0;
for (const { name, config } of configs) {
  try {
    schema.process([{ data: withoutIncludes(config), context: name }],
      { visibility: ["frontend", "backend", "secret"] });
  } catch (error) {
    invalid += 1;
    for (const message of error.messages ?? [error.message]) console.log(`${name}: ${message}`);
  }
}
console.log(`validated ${configs.length} app-configs against ${packages.size} ` +
  `package schemas, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
