// The test stand: every API call of the reference's stand, live through subscriptions. The page
// and its panels are in stand/, one component a file.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./stand/App";
import "./style.css";

const root = document.getElementById("root");
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
