export async function serve(_args: string[]): Promise<void> {}
