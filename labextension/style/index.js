import './base.css';
import './dashboards.css';
import './deployments.css';
import './status.css';
