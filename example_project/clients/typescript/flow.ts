// The whole delegation flow through a client generated from the committed OpenAPI document:
// openapi-typescript writes generated/schema.d.ts, openapi-fetch makes the typed calls. The
// compiler (strict) checks every path, body and answer against the document; the run checks the
// server. Run by `make test-clients` with MEET_URL, CLIENT_ID, CLIENT_SECRET and USER_EMAIL set.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.d.ts";

type Room = components["schemas"]["Room"];

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const baseUrl = env("MEET_URL");
const clientId = env("CLIENT_ID");
const clientSecret = env("CLIENT_SECRET");
const email = env("USER_EMAIL");

// The token endpoint takes a form body (RFC 6749); openapi-fetch sends JSON unless told otherwise.
const formBody = (body: Record<string, string | undefined>) =>
  new URLSearchParams(
    Object.entries(body).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ).toString();

async function getToken(secret: string) {
  const auth = createClient<paths>({ baseUrl });
  return auth.POST("/external-api/v1.0/application/token/", {
    body: { grant_type: "client_credentials", scope: email },
    bodySerializer: formBody,
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
    },
  });
}

async function main(): Promise<void> {
  // A wrong secret: 401, parsed as the documented OAuthError.
  const refused = await getToken("not-the-secret");
  check(refused.response.status === 401, `wrong secret: ${refused.response.status}`);
  check(refused.error?.error === "invalid_client", `wrong secret: ${JSON.stringify(refused.error)}`);
  console.log(`ok  token with a wrong secret: 401 ${refused.error.error}`);

  const token = await getToken(clientSecret);
  check(token.data, `token: ${token.response.status} ${JSON.stringify(token.error)}`);
  check(token.data.token_type === "Bearer" && token.data.expires_in > 0, "token: odd answer");
  console.log(`ok  token: expires in ${token.data.expires_in} s, scopes ${token.data.scope}`);

  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token.data.access_token}` },
  });
  const detail = (room: Room) => ({ params: { path: { id: room.id } } });

  const created = await api.POST("/external-api/v1.0/rooms/", {
    body: {
      access_level: "restricted",
      configuration: { everyone_can_mute: true, can_publish_sources: ["camera", "microphone"] },
    },
  });
  check(created.response.status === 201 && created.data, `create: ${created.response.status}`);
  const room = created.data;
  check(room.configuration?.everyone_can_mute === true, "create: configuration not kept");
  check(room.access_level === "restricted", "create: access level not kept");
  console.log(`ok  create with configuration: 201, room ${room.slug}`);

  let found = false;
  let count = 0;
  for (let page = 1; !found; page += 1) {
    const listed = await api.GET("/external-api/v1.0/rooms/", {
      params: { query: { page, page_size: 50 } },
    });
    check(listed.data, `list page ${page}: ${listed.response.status}`);
    count = listed.data.count;
    found = listed.data.results.some((item) => item.id === room.id);
    if (listed.data.next === null) break;
  }
  check(found, "list: the new room is missing");
  console.log(`ok  list: 200, ${count} room(s), the new one among them`);

  const fetched = await api.GET("/external-api/v1.0/rooms/{id}/", detail(room));
  check(fetched.data?.id === room.id, `retrieve: ${fetched.response.status}`);
  console.log("ok  retrieve: 200, same room");

  const replaced = await api.PUT("/external-api/v1.0/rooms/{id}/", {
    ...detail(room),
    body: { access_level: "trusted", configuration: { everyone_can_mute: false } },
  });
  check(replaced.data?.access_level === "trusted", `update: ${replaced.response.status}`);
  check(replaced.data.configuration?.everyone_can_mute === false, "update: configuration");
  console.log("ok  update (PUT): 200, trusted, everyone_can_mute false");

  const patched = await api.PATCH("/external-api/v1.0/rooms/{id}/", {
    ...detail(room),
    body: { configuration: { can_publish_sources: ["screen_share"] } },
  });
  check(patched.data, `partial update: ${patched.response.status}`);
  check(patched.data.configuration?.can_publish_sources?.[0] === "screen_share", "patch");
  console.log("ok  partial update (PATCH): 200, screen_share only");

  const deleted = await api.DELETE("/external-api/v1.0/rooms/{id}/", detail(room));
  check(deleted.response.status === 204, `delete: ${deleted.response.status}`);
  console.log("ok  delete: 204");

  // 4xx answers, parsed as their documented errors.
  const gone = await api.GET("/external-api/v1.0/rooms/{id}/", detail(room));
  check(gone.response.status === 404 && typeof gone.error?.detail === "string", "after delete");
  console.log(`ok  retrieve after delete: 404 ErrorDetail "${gone.error.detail}"`);

  const badPage = await api.GET("/external-api/v1.0/rooms/", { params: { query: { page: 0 } } });
  check(badPage.response.status === 400 && badPage.error, `page 0: ${badPage.response.status}`);
  const pageErrors = "page" in badPage.error ? badPage.error.page : undefined;
  check(Array.isArray(pageErrors) && typeof pageErrors[0] === "string", "page 0: field errors");
  console.log(`ok  page 0: 400 ValidationError {page: ["${pageErrors[0]}"]}`);

  console.log("typescript client (openapi-typescript + openapi-fetch): the whole flow works");
}

main().catch((error: unknown) => {
  console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
