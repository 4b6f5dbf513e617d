public import NTPEngine
public import NTPPlatform
