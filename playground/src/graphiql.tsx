// GraphiQL from the npm package, bundled: no CDN. Subscriptions go over /graphql/ws; the test
// stand's API token, if any, is sent as a bearer header.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { createRoot } from "react-dom/client";
import { loadToken } from "./api";
import type { Fetcher } from "@graphiql/toolkit";
import type { GraphiQLPlugin } from "@graphiql/react";
import { authHeader, unwrapDescriptions, wsUrl } from "./logic";

const EXAMPLES = `# Pocket Chain. Ready-made operations: pick one with the ▶ menu.

# The dev accounts a new chain starts with: 10,000 units each; the last is the faucet.
query Accounts {
  devAccounts { index address balance faucet }
}

# Put two accounts' addresses in: in AUTO mode (on with the accounts) it comes back MINED.
mutation Pay {
  send(from: "ACCOUNT_0_ADDRESS", to: "ACCOUNT_1_ADDRESS", amount: 25) { status txId block { height } }
}

# Any address, from the faucet.
mutation Fund {
  fund(address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", amount: 500) { status block { height } }
}

# The reference's training scenario: 8 wallets, 10 blocks, balances 75, 22, 1, 0, 0, 0, 1, 1
# (or to: ACCOUNTS, to: EMPTY).
mutation Reset {
  resetSystem(to: TRAINING) { address balance }
}

query Overview {
  chain { height tipHash difficultyBits reward totalSupply utxoCount poolSize }
  wallets(first: 10) { nodes { address balance pending { txId amount } } }
  pool(includeRejected: true) { nodes { id from to amount status error } }
}

query Blocks {
  blocks(first: 5) {
    pageInfo { hasNextPage endCursor }
    nodes {
      height hash prevHash txCount
      transactions { id isCoinbase inputs { address value } outputs { address value spent } }
    }
  }
}

# Run this, then mine in another tab: blocks arrive live.
subscription Live {
  blockMined { height hash txCount }
}

# The dev chain: how blocks come (MANUAL, AUTO or INTERVAL), and snapshots to go back to.
query Mining {
  mining { mode intervalSeconds address txCount nextBlockAt timeOffsetSeconds }
  snapshots { id name height tipHash createdAt }
}

mutation Snapshot {
  snapshot(name: "before") { id height }
}

subscription Resets {
  chainReset { cause height tipHash snapshotId }
}
`;

const headers = authHeader(loadToken());
const baseFetcher = createGraphiQLFetcher({
  url: "/graphql",
  subscriptionUrl: wsUrl(window.location),
  headers,
  wsConnectionParams: headers,
});

/** The schema's descriptions as single paragraphs in the docs pane (see `unwrapDescriptions`). */
const fetcher: Fetcher = (params, options) => {
  const result = baseFetcher(params, options);
  // Only the schema's introspection; every other answer passes through as GraphiQL expects it.
  if (!params.query.includes("__schema") || !(result instanceof Promise)) return result;
  return result.then(unwrapDescriptions);
};

/** The server's refusal when it runs with `--introspection false`, or null when it publishes its schema. */
async function introspectionRefusal(): Promise<string | null> {
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
    });
    const body = await response.json();
    const refusal = body.errors?.find(
      (e: { extensions?: { code?: string } }) => e.extensions?.code === "INTROSPECTION_DISABLED",
    );
    return refusal ? String(refusal.message) : null;
  } catch {
    return null;
  }
}

/** Stands in for the docs when the server keeps its schema private: says why there are none. */
function schemaPrivatePlugin(message: string): GraphiQLPlugin {
  return {
    title: "Schema private",
    icon: () => (
      <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
        <rect x="5" y="11" width="14" height="9" rx="1.5" />
        <path d="M8 11V8a4 4 0 0 1 8 0v3" />
      </svg>
    ),
    content: () => (
      <div className="pocket-schema-private" role="note">
        <h3>No docs on this server</h3>
        <p>This server runs with <code>--introspection false</code>: it does not publish its schema, so there is no docs pane and no autocompletion.</p>
        <p>Every query, mutation and subscription runs as usual.</p>
        <p>The server said: <q>{message}</q></p>
      </div>
    ),
  };
}

const root = document.getElementById("root");
if (root) {
  void introspectionRefusal().then((refusal) => {
    if (refusal === null) {
      createRoot(root).render(<GraphiQL fetcher={fetcher} defaultQuery={EXAMPLES} defaultEditorToolsVisibility={false} />);
      return;
    }
    const plugin = schemaPrivatePlugin(refusal);
    createRoot(root).render(
      <GraphiQL
        fetcher={fetcher}
        schema={null}
        plugins={[plugin]}
        visiblePlugin={plugin}
        defaultQuery={EXAMPLES}
        defaultEditorToolsVisibility={false}
      />,
    );
  });
}
