import './base.css';
import './jobs.css';
import './storage.css';
