// Runs the Khronos glTF-Validator on each GLB named on the command line; prints one JSON array of reports.
// Usage: NODE_PATH=<node_modules> node validate.js a.glb b.glb
const fs = require("fs");
const validator = require("gltf-validator");

async function main(files) {
  const reports = [];
  for (const file of files) {
    const data = new Uint8Array(fs.readFileSync(file));
    const report = await validator.validateBytes(data, { uri: file, maxIssues: 100 });
    reports.push(report);
  }
  process.stdout.write(JSON.stringify(reports));
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
