// SPDX-License-Identifier: GPL-2.0
// validate.mjs [--dump] FILE...: every YAML document of FILE against the
// Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models'
// validators, generated from the API server's OpenAPI document). Prints
// "FILE: KIND NAME ok" per document, or the schema's errors and exits 1.
// --dump: print each document as one line of JSON instead (for jq).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const dump = args[0] === "--dump";
const files = dump ? args.slice(1) : args;
let bad = 0;

// apps/v1 + DaemonSet -> kubernetes-models/apps/v1/DaemonSet; v1 -> core.
function modulePath(apiVersion, kind) {
	return `kubernetes-models/${apiVersion}/${kind}`;
}

for (const file of files) {
	const docs = parseAllDocuments(readFileSync(file, "utf8"));
	for (const doc of docs) {
		if (doc.errors.length) {
			console.error(`${file}: Error: ${doc.errors[0].message}`);
			bad++;
			continue;
		}
		const obj = doc.toJS();
		if (obj === null)
			continue;
		if (dump) {
			console.log(JSON.stringify(obj));
			continue;
		}
		const name = `${obj.kind} ${obj.metadata?.name ?? "(no name)"}`;
		let Model;
		try {
			Model = (await import(modulePath(obj.apiVersion, obj.kind)))[obj.kind];
		} catch {
			console.error(`${file}: ${name}: Error: no schema for ${obj.apiVersion} ${obj.kind}`);
			bad++;
			continue;
		}
		try {
			new Model(obj).validate();
			console.log(`${file}: ${name} ok`);
		} catch (e) {
			console.error(`${file}: ${name}: Error: ${e.message}`);
			bad++;
		}
	}
}
process.exit(bad ? 1 : 0);
