export { FirmataLaneLight, type FirmataLaneLightOptions, type FirmwareInfo, type LampColor, type LightPins } from './lane-light';
