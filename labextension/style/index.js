import './base.css';
import './dashboards.css';
import './deployments.css';
import './runs.css';
import './pipelines.css';
import './models.css';
import './compare.css';
import './status.css';
