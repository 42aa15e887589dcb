/**
 * Benchmark (not a test, standards: "Benchmarks are scripts that print numbers"): the per-request cost of
 * sealing and opening a stored-response id (issue #18), and of rewriting a stored stream, on Mono (the APIM
 * emulator's runtime; APIM runs .NET, expected faster). The MAC expression is the policy's own
 * (policies/partials/response-seal-mac.hbs); the rest mirrors response-seal(-open).hbs.
 *
 *   npx tsx scripts/bench-seal.ts        # needs mcs and mono (../shared/tools/apim-emulator/install.sh)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const partial = readFileSync(resolve(__dirname, "..", "policies", "partials", "response-seal-mac.hbs"), "utf8");
const mac = partial
  .replace(/\{\{!--[\s\S]*?--\}\}/g, "")
  .trim()
  .replace("\\{{aoai-gateway-response-seal-key}}", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab");

const source = `using System; using System.Text; using System.Security.Cryptography; using System.Diagnostics;
using System.Text.RegularExpressions;
class Bench {
  static string Mac(string sealAccount, string sealAzureId, string sealOwner) { return ${mac}; }
  static string Seal(string account, string id, string owner) {
    string payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(account + "|" + id)).TrimEnd((char)61).Replace("+", "-").Replace("/", "_");
    return "resp_g1" + Mac(account, id, owner) + payload;
  }
  static bool Open(string id, string owner) {
    string sent = id.Substring(7, 22);
    string b = id.Substring(29).Replace("-", "+").Replace("_", "/");
    string payload = Encoding.UTF8.GetString(Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, (char)61)));
    int bar = payload.IndexOf("|");
    string expected = Mac(payload.Substring(0, bar), payload.Substring(bar + 1), owner);
    int diff = 0; for (int i = 0; i < 22; i++) { diff |= sent[i] ^ expected[i]; }
    return diff == 0;
  }
  static void Main() {
    string account = "prod-hub-swedencentral", id = "resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b", owner = "team-a";
    int n = 100000; string s = null; bool ok = true;
    for (int i = 0; i < 1000; i++) { s = Seal(account, id, owner); ok &= Open(s, owner); }
    var w = Stopwatch.StartNew(); for (int i = 0; i < n; i++) { s = Seal(account, id, owner); } w.Stop();
    Console.WriteLine("seal one id:  {0:F1} us", w.Elapsed.TotalMilliseconds * 1000 / n);
    w = Stopwatch.StartNew(); for (int i = 0; i < n; i++) { ok &= Open(s, owner); } w.Stop();
    Console.WriteLine("open one id:  {0:F1} us (verified: {1})", w.Elapsed.TotalMilliseconds * 1000 / n, ok);
    Console.WriteLine("id length:    Azure {0}, sealed {1}", id.Length, s.Length);
    var sb = new StringBuilder();
    for (int i = 0; i < 600; i++) { sb.Append("event: response.output_text.delta\\ndata: {\\"type\\":\\"response.output_text.delta\\",\\"delta\\":\\"hello world \\"}\\n\\n"); }
    string frame = "data: {\\"response\\":{\\"id\\":\\"" + id + "\\"}}\\n\\n";
    string body = frame + sb + frame;
    var ids = new Regex("(\\"(?:id|previous_response_id)\\"\\\\s*:\\\\s*\\")(resp_[A-Za-z0-9_-]+)\\"");
    int m = 1000; w = Stopwatch.StartNew();
    for (int k = 0; k < m; k++) {
      var output = new StringBuilder(); int from = 0;
      for (Match x = ids.Match(body, 0); x.Success; x = ids.Match(body, from)) {
        output.Append(body, from, x.Groups[2].Index - from).Append(Seal(account, x.Groups[2].Value, owner));
        from = x.Groups[2].Index + x.Groups[2].Length;
      }
      s = output.Append(body, from, body.Length - from).ToString();
    }
    w.Stop();
    Console.WriteLine("rewrite a {0} KB stored stream: {1:F2} ms", body.Length / 1024, w.Elapsed.TotalMilliseconds / m);
  }
}
`;

const dir = mkdtempSync(join(tmpdir(), "bench-seal-"));
try {
  writeFileSync(join(dir, "bench.cs"), source);
  execFileSync("mcs", ["-out:" + join(dir, "bench.exe"), join(dir, "bench.cs")], { stdio: "inherit" });
  process.stdout.write(execFileSync("mono", [join(dir, "bench.exe")], { encoding: "utf8" }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
