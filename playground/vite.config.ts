// Two pages, built into dist/ with relative-free absolute asset paths under /assets/, which the
// pocket binary embeds and serves. Nothing is fetched from outside the server at run time.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: {
        index: resolve(__dirname, "index.html"),
        graphiql: resolve(__dirname, "graphiql.html"),
      },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
