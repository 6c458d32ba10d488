// The OpenSubsonic specification's response schemas, read from a git checkout of the
// specification's repository (bare or not) and compiled with Ajv. The project ships none of
// the specification's text: the tests read it where it is ($OPENSUBSONIC_SPEC) and say so
// when it is not there.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const BASE = "https://opensubsonic.spec.invalid/";
const MAX_SPEC_BYTES = 64 << 20;

export const DEFAULT_SPEC = "/work/.mirror/opensubsonic+open-subsonic-api/repo";

function git(dir, args, input) {
	return execFileSync("git", ["-C", dir, ...args], {
		input, maxBuffer: MAX_SPEC_BYTES, stdio: ["pipe", "pipe", "pipe"],
	});
}

// Every openapi/**/*.json at the checkout's HEAD, by path, parsed; or an Error saying why not.
function readSpec(dir) {
	if (!existsSync(dir))
		return new Error(`no OpenSubsonic spec at ${dir}`);
	let names;
	try {
		names = git(dir, ["ls-tree", "-r", "--name-only", "HEAD", "openapi/"]).toString()
			.split("\n").filter((n) => n.endsWith(".json"));
	} catch (e) {
		return new Error(`no OpenSubsonic spec at ${dir} (git: ${String(e.stderr || e).trim()})`);
	}
	if (!names.length)
		return new Error(`no OpenSubsonic spec at ${dir} (no openapi/*.json at HEAD)`);
	// One git process for every file: `cat-file --batch` prints "<oid> blob <size>\n<data>\n".
	const out = git(dir, ["cat-file", "--batch"], names.map((n) => `HEAD:${n}`).join("\n") + "\n");
	const files = new Map();
	let at = 0;
	for (const name of names) {
		const nl = out.indexOf(10, at);
		const head = out.subarray(at, nl).toString().split(" ");
		if (head[1] !== "blob")
			return new Error(`spec at ${dir}: cannot read ${name}`);
		const size = Number(head[2]);
		files.set(name, JSON.parse(out.subarray(nl + 1, nl + 1 + size).toString()));
		at = nl + 1 + size + 1;
	}
	return files;
}

// The response schemas of the spec at dir: validate(endpoint, json) answers null when json is
// what the endpoint's 200 answer may be, else the errors as text. When the spec cannot be
// read, .missing says why and validate is not to be called.
export function loadSchemas(dir = process.env.OPENSUBSONIC_SPEC || DEFAULT_SPEC) {
	const files = readSpec(dir);
	if (files instanceof Error)
		return { missing: files.message };
	const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
	addFormats(ajv);
	// OpenAPI's number formats, which JSON Schema does not name: the type already says it.
	for (const f of ["float", "double", "int32", "int64", "binary", "byte"])
		ajv.addFormat(f, true);
	for (const [name, doc] of files)
		ajv.addSchema({ ...doc, $id: BASE + name });
	const compiled = new Map();

	// The 200 answer's JSON schema of an endpoint, as an absolute $ref, following the
	// response object when it is itself a $ref.
	function responseRef(endpoint) {
		const path = `openapi/endpoints/${endpoint}.json`;
		const op = files.get(path)?.get;
		if (!op)
			throw new Error(`the spec has no endpoint ${endpoint}`);
		let where = BASE + path, resp = op.responses?.["200"];
		if (resp?.$ref) {
			where = new URL(resp.$ref, where).href;
			resp = files.get(where.slice(BASE.length));
		}
		const schema = resp?.content?.["application/json"]?.schema;
		// An endpoint whose success is binary (stream, getCoverArt) answers its errors in
		// the envelope every endpoint shares.
		if (!schema && resp?.content?.["application/binary"])
			return BASE + "openapi/schemas/SubsonicResponse.json";
		if (!schema?.$ref)
			throw new Error(`the spec gives ${endpoint} no JSON answer`);
		return new URL(schema.$ref, where).href;
	}

	return {
		dir,
		validate(endpoint, json) {
			let v = compiled.get(endpoint);
			if (!v) {
				v = ajv.compile({ $ref: responseRef(endpoint) });
				compiled.set(endpoint, v);
			}
			if (v(json))
				return null;
			return ajv.errorsText(v.errors, { separator: "\n" });
		},
	};
}
