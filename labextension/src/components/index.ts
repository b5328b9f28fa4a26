export { Caret } from './Caret';
export { ErrorMessage, RunError } from './ErrorMessage';
export { Field } from './Field';
export { Loading } from './Loading';
export { RefreshButton } from './RefreshButton';
export { SectionShell } from './SectionShell';
export { StatusBadge, statusClass, statusLabel } from './StatusBadge';
export { Chart, ChartOption } from './Chart';
export { RunLink } from './RunLink';
